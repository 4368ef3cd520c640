-- CreateTable
CREATE TABLE "ResilienceRollup" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "windowStartMs" BIGINT NOT NULL,
    "windowEndMs" BIGINT NOT NULL,
    "proxyId" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "sourceService" TEXT NOT NULL,
    "sourceNamespace" TEXT NOT NULL,
    "sourceVersion" TEXT NOT NULL,
    "destService" TEXT NOT NULL,
    "destNamespace" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "value" INTEGER NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_EdgeRollup" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "windowStartMs" BIGINT NOT NULL,
    "windowEndMs" BIGINT NOT NULL,
    "reporter" TEXT NOT NULL,
    "proxyId" TEXT NOT NULL,
    "sourceService" TEXT NOT NULL,
    "sourceNamespace" TEXT NOT NULL,
    "sourceVersion" TEXT NOT NULL,
    "destService" TEXT NOT NULL,
    "destNamespace" TEXT NOT NULL,
    "destVersion" TEXT NOT NULL,
    "statusCode" INTEGER NOT NULL,
    "grpcStatus" INTEGER NOT NULL DEFAULT -1,
    "count" INTEGER NOT NULL,
    "sumMs" REAL NOT NULL,
    "buckets" TEXT NOT NULL
);
INSERT INTO "new_EdgeRollup" ("buckets", "count", "destNamespace", "destService", "destVersion", "id", "proxyId", "reporter", "sourceNamespace", "sourceService", "sourceVersion", "statusCode", "sumMs", "windowEndMs", "windowStartMs") SELECT "buckets", "count", "destNamespace", "destService", "destVersion", "id", "proxyId", "reporter", "sourceNamespace", "sourceService", "sourceVersion", "statusCode", "sumMs", "windowEndMs", "windowStartMs" FROM "EdgeRollup";
DROP TABLE "EdgeRollup";
ALTER TABLE "new_EdgeRollup" RENAME TO "EdgeRollup";
CREATE INDEX "EdgeRollup_windowStartMs_idx" ON "EdgeRollup"("windowStartMs");
CREATE INDEX "EdgeRollup_reporter_destNamespace_destService_windowStartMs_idx" ON "EdgeRollup"("reporter", "destNamespace", "destService", "windowStartMs");
CREATE INDEX "EdgeRollup_reporter_sourceNamespace_sourceService_windowStartMs_idx" ON "EdgeRollup"("reporter", "sourceNamespace", "sourceService", "windowStartMs");
CREATE UNIQUE INDEX "EdgeRollup_dataPoint_key" ON "EdgeRollup"("proxyId", "windowStartMs", "windowEndMs", "reporter", "sourceNamespace", "sourceService", "sourceVersion", "destNamespace", "destService", "destVersion", "statusCode", "grpcStatus");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "ResilienceRollup_windowStartMs_idx" ON "ResilienceRollup"("windowStartMs");

-- CreateIndex
CREATE INDEX "ResilienceRollup_destNamespace_destService_windowStartMs_idx" ON "ResilienceRollup"("destNamespace", "destService", "windowStartMs");

-- CreateIndex
CREATE UNIQUE INDEX "ResilienceRollup_dataPoint_key" ON "ResilienceRollup"("proxyId", "windowStartMs", "windowEndMs", "metric", "destNamespace", "destService", "reason");
