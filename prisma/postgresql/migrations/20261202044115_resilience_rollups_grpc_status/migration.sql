-- DropIndex
DROP INDEX "EdgeRollup_dataPoint_key";

-- AlterTable
ALTER TABLE "EdgeRollup" ADD COLUMN     "grpcStatus" INTEGER NOT NULL DEFAULT -1;

-- CreateTable
CREATE TABLE "ResilienceRollup" (
    "id" SERIAL NOT NULL,
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
    "value" INTEGER NOT NULL,

    CONSTRAINT "ResilienceRollup_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ResilienceRollup_windowStartMs_idx" ON "ResilienceRollup"("windowStartMs");

-- CreateIndex
CREATE INDEX "ResilienceRollup_destNamespace_destService_windowStartMs_idx" ON "ResilienceRollup"("destNamespace", "destService", "windowStartMs");

-- CreateIndex
CREATE UNIQUE INDEX "ResilienceRollup_dataPoint_key" ON "ResilienceRollup"("proxyId", "windowStartMs", "windowEndMs", "metric", "destNamespace", "destService", "reason");

-- CreateIndex
CREATE UNIQUE INDEX "EdgeRollup_dataPoint_key" ON "EdgeRollup"("proxyId", "windowStartMs", "windowEndMs", "reporter", "sourceNamespace", "sourceService", "sourceVersion", "destNamespace", "destService", "destVersion", "statusCode", "grpcStatus");
