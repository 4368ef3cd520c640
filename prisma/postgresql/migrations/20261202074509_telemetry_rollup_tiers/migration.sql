-- AlterTable
ALTER TABLE "Span" ADD COLUMN     "events" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "flags" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "links" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "resource" TEXT NOT NULL DEFAULT '{}',
ADD COLUMN     "scope" TEXT NOT NULL DEFAULT '{}',
ADD COLUMN     "traceState" TEXT NOT NULL DEFAULT '';

-- DropTable
DROP TABLE "EdgeRollup";

-- CreateTable
CREATE TABLE "TelemetrySeries" (
    "id" SERIAL NOT NULL,
    "reporter" TEXT NOT NULL,
    "sourceNamespace" TEXT NOT NULL,
    "sourceService" TEXT NOT NULL,
    "sourceVersion" TEXT NOT NULL,
    "destNamespace" TEXT NOT NULL,
    "destService" TEXT NOT NULL,
    "destVersion" TEXT NOT NULL,

    CONSTRAINT "TelemetrySeries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SeriesRollup" (
    "resolutionMs" INTEGER NOT NULL,
    "bucketMs" BIGINT NOT NULL,
    "seriesId" INTEGER NOT NULL,
    "count" BIGINT NOT NULL,
    "failed" BIGINT NOT NULL,
    "rateLimited" BIGINT NOT NULL,
    "unavailable" BIGINT NOT NULL,
    "sumMs" DOUBLE PRECISION NOT NULL,
    "maxMs" DOUBLE PRECISION NOT NULL,
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

    CONSTRAINT "SeriesRollup_pkey" PRIMARY KEY ("resolutionMs","bucketMs","seriesId")
);

-- CreateTable
CREATE TABLE "RollupReceipt" (
    "key" TEXT NOT NULL,
    "atMs" BIGINT NOT NULL,

    CONSTRAINT "RollupReceipt_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "TelemetrySeries_reporter_sourceNamespace_sourceService_idx" ON "TelemetrySeries"("reporter", "sourceNamespace", "sourceService");

-- CreateIndex
CREATE UNIQUE INDEX "TelemetrySeries_key" ON "TelemetrySeries"("reporter", "destNamespace", "destService", "destVersion", "sourceNamespace", "sourceService", "sourceVersion");

-- CreateIndex
CREATE INDEX "SeriesRollup_seriesId_resolutionMs_bucketMs_idx" ON "SeriesRollup"("seriesId", "resolutionMs", "bucketMs");

-- CreateIndex
CREATE INDEX "RollupReceipt_atMs_idx" ON "RollupReceipt"("atMs");
