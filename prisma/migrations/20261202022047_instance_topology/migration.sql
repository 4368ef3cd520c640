-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ServiceInstance" (
    "proxyId" TEXT NOT NULL PRIMARY KEY,
    "service" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "inboundAddress" TEXT NOT NULL,
    "adminAddress" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "zone" TEXT,
    "region" TEXT,
    "ready" BOOLEAN NOT NULL DEFAULT true,
    "registeredAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL
);
INSERT INTO "new_ServiceInstance" ("adminAddress", "inboundAddress", "lastSeenAt", "mode", "namespace", "proxyId", "registeredAt", "service", "version") SELECT "adminAddress", "inboundAddress", "lastSeenAt", "mode", "namespace", "proxyId", "registeredAt", "service", "version" FROM "ServiceInstance";
DROP TABLE "ServiceInstance";
ALTER TABLE "new_ServiceInstance" RENAME TO "ServiceInstance";
CREATE INDEX "ServiceInstance_namespace_service_idx" ON "ServiceInstance"("namespace", "service");
CREATE INDEX "ServiceInstance_lastSeenAt_idx" ON "ServiceInstance"("lastSeenAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
