/**
 * A Prometheus histogram whose buckets the broker keeps (`BrokerApi.timings()`), exposed through
 * prom-client: prom-client's own Histogram only grows by `observe`, and the broker's samples are taken
 * on its hot path, not here. The metric renders `_bucket` (cumulative, `le`), `_sum` and `_count`
 * series in both exposition formats, as prom-client's Histogram does.
 */
import type { HistogramSnapshot } from '@midge/mqtt-core';
import type { Metric, OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client';

type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** One labelled histogram of a scrape. */
export interface LabelledHistogram {
  readonly labels: Readonly<Record<string, string>>;
  readonly histogram: HistogramSnapshot;
}

interface Sample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/** The `_bucket`, `_sum` and `_count` samples of one histogram. */
export function histogramSamples(name: string, { labels, histogram }: LabelledHistogram): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  histogram.bounds.forEach((bound, i) => {
    cumulative += histogram.counts[i] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: histogram.count });
  out.push({ metricName: `${name}_sum`, labels: { ...labels }, value: histogram.sum });
  out.push({ metricName: `${name}_count`, labels: { ...labels }, value: histogram.count });
  return out;
}

/** Registers a histogram read from `read()` at each scrape. */
export function registerExternalHistogram(
  registry: AnyRegistry,
  name: string,
  help: string,
  read: () => readonly LabelledHistogram[],
): void {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: () =>
      Promise.resolve({
        name,
        help,
        type: 'histogram',
        aggregator: 'sum',
        values: read().flatMap((h) => histogramSamples(name, h)),
      }),
  };
  // prom-client renders any registered object with this shape (its own metric classes have it).
  registry.registerMetric(metric as unknown as Metric);
}
