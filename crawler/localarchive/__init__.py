"""localarchive"""
