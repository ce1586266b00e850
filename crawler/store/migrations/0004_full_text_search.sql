-- Full-text search over clause and version texts (FTS5, Porter stemming), kept current by triggers.
CREATE VIRTUAL TABLE "clauses_fts" USING FTS5 ("text", tokenize='porter', content="clauses");
INSERT INTO "clauses_fts" (rowid, "text") SELECT rowid, "text" FROM "clauses";
CREATE TRIGGER "clauses_ai" AFTER INSERT ON "clauses" BEGIN
  INSERT INTO "clauses_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
CREATE TRIGGER "clauses_ad" AFTER DELETE ON "clauses" BEGIN
  INSERT INTO "clauses_fts" ("clauses_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
END;
CREATE TRIGGER "clauses_au" AFTER UPDATE ON "clauses" BEGIN
  INSERT INTO "clauses_fts" ("clauses_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
  INSERT INTO "clauses_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
CREATE VIRTUAL TABLE "versions_fts" USING FTS5 ("text", tokenize='porter', content="versions");
INSERT INTO "versions_fts" (rowid, "text") SELECT rowid, "text" FROM "versions";
CREATE TRIGGER "versions_ai" AFTER INSERT ON "versions" BEGIN
  INSERT INTO "versions_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
CREATE TRIGGER "versions_ad" AFTER DELETE ON "versions" BEGIN
  INSERT INTO "versions_fts" ("versions_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
END;
CREATE TRIGGER "versions_au" AFTER UPDATE ON "versions" BEGIN
  INSERT INTO "versions_fts" ("versions_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
  INSERT INTO "versions_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
