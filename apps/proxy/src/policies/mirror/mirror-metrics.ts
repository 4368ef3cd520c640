/** The mirror's counts on /metrics. */
import type { PrometheusText } from '../../telemetry/prometheus.ts';
import { MIRROR_DROP_REASONS, type MirrorSender } from './mirror-sender.ts';

export function renderMirrorMetrics(text: PrometheusText, sender: MirrorSender): void {
  text.family(
    'weft_proxy_mirrored_total',
    'counter',
    'Copies of outbound requests for a MirrorPolicy: sent (the mirror answered, whatever the status), dropped (never sent: see weft_proxy_mirror_dropped_total), failed (sent, no answer: connect failure, reset, timeout). Copies never affect the original request.',
  );
  text.sample('weft_proxy_mirrored_total', { outcome: 'sent' }, sender.sent);
  text.sample('weft_proxy_mirrored_total', { outcome: 'dropped' }, sender.droppedTotal);
  text.sample('weft_proxy_mirrored_total', { outcome: 'failed' }, sender.failed);
  text.family(
    'weft_proxy_mirror_dropped_total',
    'counter',
    `Copies not sent, by reason: overloaded (${sender.maxInFlight} copies already in flight, or request bodies held by copies over ${sender.maxHeldBytes} bytes), no-endpoints (the mirror backend has none), body-too-large (over the policy's maxBodyBytes), body-incomplete (the original body failed or was not read to its end).`,
  );
  for (const reason of MIRROR_DROP_REASONS)
    text.sample('weft_proxy_mirror_dropped_total', { reason }, sender.dropped(reason));
  text.family(
    'weft_proxy_mirror_in_flight',
    'gauge',
    'Copies taken or sent whose response has not been read yet.',
  );
  text.sample('weft_proxy_mirror_in_flight', undefined, sender.inFlight);
  text.family('weft_proxy_mirror_held_bytes', 'gauge', 'Bytes of request bodies held for copies now.');
  text.sample('weft_proxy_mirror_held_bytes', undefined, sender.heldBytes);
}
