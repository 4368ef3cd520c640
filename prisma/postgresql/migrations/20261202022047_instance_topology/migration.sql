-- AlterTable
ALTER TABLE "ServiceInstance" ADD COLUMN     "ready" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "region" TEXT,
ADD COLUMN     "zone" TEXT;
