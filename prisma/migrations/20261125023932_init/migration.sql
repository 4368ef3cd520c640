-- CreateTable
CREATE TABLE "ServiceInstance" (
    "proxyId" TEXT NOT NULL PRIMARY KEY,
    "service" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "inboundAddress" TEXT NOT NULL,
    "adminAddress" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "registeredAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Span" (
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

    PRIMARY KEY ("traceId", "spanId")
);

-- CreateTable
CREATE TABLE "EdgeRollup" (
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
    "count" INTEGER NOT NULL,
    "sumMs" REAL NOT NULL,
    "buckets" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "ServiceInstance_namespace_service_idx" ON "ServiceInstance"("namespace", "service");

-- CreateIndex
CREATE INDEX "ServiceInstance_lastSeenAt_idx" ON "ServiceInstance"("lastSeenAt");

-- CreateIndex
CREATE INDEX "Span_startUs_idx" ON "Span"("startUs");

-- CreateIndex
CREATE INDEX "Span_parentSpanId_startUs_idx" ON "Span"("parentSpanId", "startUs");

-- CreateIndex
CREATE INDEX "Span_namespace_service_startUs_idx" ON "Span"("namespace", "service", "startUs");

-- CreateIndex
CREATE INDEX "EdgeRollup_windowStartMs_idx" ON "EdgeRollup"("windowStartMs");

-- CreateIndex
CREATE INDEX "EdgeRollup_reporter_destNamespace_destService_windowStartMs_idx" ON "EdgeRollup"("reporter", "destNamespace", "destService", "windowStartMs");

-- CreateIndex
CREATE INDEX "EdgeRollup_reporter_sourceNamespace_sourceService_windowStartMs_idx" ON "EdgeRollup"("reporter", "sourceNamespace", "sourceService", "windowStartMs");
