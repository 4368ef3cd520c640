-- CreateTable
CREATE TABLE "Policy" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "spec" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "annotations" TEXT NOT NULL,
    "resourceVersion" INTEGER NOT NULL,
    "generation" INTEGER NOT NULL,
    "conditions" TEXT NOT NULL,
    "findings" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "Policy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PolicyRevision" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "spec" TEXT,
    "previousSpec" TEXT,
    "by" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PolicyRevision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PolicyCounter" (
    "id" INTEGER NOT NULL,
    "value" INTEGER NOT NULL,

    CONSTRAINT "PolicyCounter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Policy_namespace_kind_idx" ON "Policy"("namespace", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "Policy_kind_namespace_name_key" ON "Policy"("kind", "namespace", "name");

-- CreateIndex
CREATE INDEX "PolicyRevision_namespace_name_idx" ON "PolicyRevision"("namespace", "name");

-- CreateIndex
CREATE UNIQUE INDEX "PolicyRevision_kind_namespace_name_revision_key" ON "PolicyRevision"("kind", "namespace", "name", "revision");
