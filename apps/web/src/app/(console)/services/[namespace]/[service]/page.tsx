import type { Metadata } from 'next';
import { ServiceView } from '@/features/service/ServiceView.tsx';

interface Props {
  params: Promise<{ namespace: string; service: string }>;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { namespace, service } = await params;
  return { title: `${decode(service)} (${decode(namespace)})` };
}

export default async function ServicePage({ params }: Props) {
  const { namespace, service } = await params;
  const ns = decode(namespace);
  const name = decode(service);
  // Keyed so that moving to another service starts from an empty view instead of the previous service's data.
  return <ServiceView key={`${ns}/${name}`} namespace={ns} service={name} />;
}
