"""Scrapy spiders of policytrail (SPIDER_MODULES = ["spiders"])."""
