-- DropIndex
DROP INDEX "EdgeRollup_windowStartMs_idx";

-- DropIndex
DROP INDEX "EdgeRollup_reporter_destNamespace_destService_windowStartMs_idx";

-- DropIndex
DROP INDEX "EdgeRollup_reporter_sourceNamespace_sourceService_windowStartMs_idx";

-- DropIndex
DROP INDEX "EdgeRollup_dataPoint_key";

-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "EdgeRollup";
PRAGMA foreign_keys=on;

-- CreateTable
CREATE TABLE "TelemetrySeries" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "reporter" TEXT NOT NULL,
    "sourceNamespace" TEXT NOT NULL,
    "sourceService" TEXT NOT NULL,
    "sourceVersion" TEXT NOT NULL,
    "destNamespace" TEXT NOT NULL,
    "destService" TEXT NOT NULL,
    "destVersion" TEXT NOT NULL
);

-- WITHOUT ROWID (edited by hand, SQLite only): rows are stored in primary-key order, so a time-range scan of one
-- resolution reads consecutive pages instead of one table lookup per index entry.
-- CreateTable
CREATE TABLE "SeriesRollup" (
    "resolutionMs" INTEGER NOT NULL,
    "bucketMs" BIGINT NOT NULL,
    "seriesId" INTEGER NOT NULL,
    "count" BIGINT NOT NULL,
    "failed" BIGINT NOT NULL,
    "rateLimited" BIGINT NOT NULL,
    "unavailable" BIGINT NOT NULL,
    "sumMs" REAL NOT NULL,
    "maxMs" REAL NOT NULL,
    "firstMs" BIGINT NOT NULL,
    "lastMs" BIGINT NOT NULL,
    "b0" BIGINT NOT NULL DEFAULT 0,
    "b1" BIGINT NOT NULL DEFAULT 0,
    "b2" BIGINT NOT NULL DEFAULT 0,
    "b3" BIGINT NOT NULL DEFAULT 0,
    "b4" BIGINT NOT NULL DEFAULT 0,
    "b5" BIGINT NOT NULL DEFAULT 0,
    "b6" BIGINT NOT NULL DEFAULT 0,
    "b7" BIGINT NOT NULL DEFAULT 0,
    "b8" BIGINT NOT NULL DEFAULT 0,
    "b9" BIGINT NOT NULL DEFAULT 0,
    "b10" BIGINT NOT NULL DEFAULT 0,
    "b11" BIGINT NOT NULL DEFAULT 0,
    "b12" BIGINT NOT NULL DEFAULT 0,
    "b13" BIGINT NOT NULL DEFAULT 0,
    "b14" BIGINT NOT NULL DEFAULT 0,
    "b15" BIGINT NOT NULL DEFAULT 0,
    "b16" BIGINT NOT NULL DEFAULT 0,
    "b17" BIGINT NOT NULL DEFAULT 0,
    "b18" BIGINT NOT NULL DEFAULT 0,
    "b19" BIGINT NOT NULL DEFAULT 0,
    "b20" BIGINT NOT NULL DEFAULT 0,
    "b21" BIGINT NOT NULL DEFAULT 0,
    "b22" BIGINT NOT NULL DEFAULT 0,
    "b23" BIGINT NOT NULL DEFAULT 0,
    "b24" BIGINT NOT NULL DEFAULT 0,
    "b25" BIGINT NOT NULL DEFAULT 0,
    "b26" BIGINT NOT NULL DEFAULT 0,
    "b27" BIGINT NOT NULL DEFAULT 0,
    "b28" BIGINT NOT NULL DEFAULT 0,
    "b29" BIGINT NOT NULL DEFAULT 0,

    PRIMARY KEY ("resolutionMs", "bucketMs", "seriesId")
) WITHOUT ROWID;

-- CreateTable
CREATE TABLE "RollupReceipt" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "atMs" BIGINT NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Span" (
    "traceId" TEXT NOT NULL,
    "spanId" TEXT NOT NULL,
    "parentSpanId" TEXT,
    "name" TEXT NOT NULL,
    "kind" INTEGER NOT NULL,
    "service" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "startUs" BIGINT NOT NULL,
    "durationUs" BIGINT NOT NULL,
    "statusCode" INTEGER NOT NULL,
    "statusMessage" TEXT,
    "httpStatus" INTEGER,
    "attributes" TEXT NOT NULL,
    "traceState" TEXT NOT NULL DEFAULT '',
    "flags" INTEGER NOT NULL DEFAULT 0,
    "events" TEXT NOT NULL DEFAULT '[]',
    "links" TEXT NOT NULL DEFAULT '[]',
    "resource" TEXT NOT NULL DEFAULT '{}',
    "scope" TEXT NOT NULL DEFAULT '{}',

    PRIMARY KEY ("traceId", "spanId")
);
INSERT INTO "new_Span" ("attributes", "durationUs", "httpStatus", "kind", "name", "namespace", "parentSpanId", "service", "spanId", "startUs", "statusCode", "statusMessage", "traceId", "version") SELECT "attributes", "durationUs", "httpStatus", "kind", "name", "namespace", "parentSpanId", "service", "spanId", "startUs", "statusCode", "statusMessage", "traceId", "version" FROM "Span";
DROP TABLE "Span";
ALTER TABLE "new_Span" RENAME TO "Span";
CREATE INDEX "Span_startUs_idx" ON "Span"("startUs");
CREATE INDEX "Span_parentSpanId_startUs_idx" ON "Span"("parentSpanId", "startUs");
CREATE INDEX "Span_namespace_service_startUs_idx" ON "Span"("namespace", "service", "startUs");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "TelemetrySeries_reporter_sourceNamespace_sourceService_idx" ON "TelemetrySeries"("reporter", "sourceNamespace", "sourceService");

-- CreateIndex
CREATE UNIQUE INDEX "TelemetrySeries_key" ON "TelemetrySeries"("reporter", "destNamespace", "destService", "destVersion", "sourceNamespace", "sourceService", "sourceVersion");

-- CreateIndex
CREATE INDEX "SeriesRollup_seriesId_resolutionMs_bucketMs_idx" ON "SeriesRollup"("seriesId", "resolutionMs", "bucketMs");

-- CreateIndex
CREATE INDEX "RollupReceipt_atMs_idx" ON "RollupReceipt"("atMs");
