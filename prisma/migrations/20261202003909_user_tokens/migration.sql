-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN "role" TEXT;
