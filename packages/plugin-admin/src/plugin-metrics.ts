/**
 * The figures plugins report through their `metrics` hook (`BrokerApi.pluginMetrics()`), as Prometheus
 * families named `midge_<name>`. Plugins come and go with config reloads, so families are registered when
 * a scrape first sees their name; a family whose plugin is gone renders no samples.
 */
import type { Logger, PluginMetric } from '@midge/mqtt-core';
import type { Metric, OpenMetricsContentType, PrometheusContentType, Registry } from 'prom-client';

type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** What `BrokerApi.pluginMetrics()` answers. */
export type PluginMetricsSnapshot = readonly { readonly plugin: string; readonly metrics: readonly PluginMetric[] }[];

const NAME = /^[a-z_][a-z0-9_]*$/;

interface Family {
  name: string;
  readonly help: string;
  readonly type: PluginMetric['type'];
  /** The plugin that named it first: another plugin's figures under the same name are refused. */
  readonly plugin: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** Keeps one registry's plugin families in step with the scrapes. */
export class PluginMetricsExporter {
  readonly #registry: AnyRegistry;
  readonly #taken: (name: string) => boolean;
  readonly #logger: Logger;
  readonly #families = new Map<string, Family>();
  /**
   * Refusals already logged, once per plugin and name (a scrape every 15 s would repeat them forever),
   * shared by the exporters of one server's registries (text and OpenMetrics).
   */
  readonly #said: Set<string>;

  /** `taken(name)`: a family of that full name exists already (the broker's own metrics). */
  constructor(registry: AnyRegistry, taken: (name: string) => boolean, logger: Logger, said = new Set<string>()) {
    this.#registry = registry;
    this.#taken = taken;
    this.#logger = logger;
    this.#said = said;
  }

  /** Sets every family's samples from `snapshot` (call before rendering the registry). */
  update(snapshot: PluginMetricsSnapshot): void {
    for (const f of this.#families.values()) f.samples = [];
    for (const { plugin, metrics } of snapshot)
      for (const m of metrics) {
        const family = this.#familyOf(plugin, m);
        if (family !== undefined) family.samples.push({ labels: { ...m.labels }, value: m.value });
      }
  }

  #familyOf(plugin: string, m: PluginMetric): Family | undefined {
    const full = `midge_${m.name}`;
    const known = this.#families.get(full);
    if (known !== undefined) {
      if (known.plugin === plugin && known.type === m.type) return known;
      return this.#refuse(plugin, m.name, `it is reported by plugin ${known.plugin} as a ${known.type} already`);
    }
    if (typeof m.name !== 'string' || !NAME.test(m.name))
      return this.#refuse(plugin, String(m.name), 'a metric name is lower-case snake case ([a-z_][a-z0-9_]*)');
    if (m.type !== 'counter' && m.type !== 'gauge')
      return this.#refuse(plugin, m.name, `its type must be counter or gauge, not ${String(m.type)}`);
    if (m.type === 'counter' && !m.name.endsWith('_total'))
      return this.#refuse(plugin, m.name, "a counter's name ends in _total");
    if (this.#taken(full)) return this.#refuse(plugin, m.name, `the broker's own ${full} has that name`);
    const family: Family = { name: full, help: String(m.help), type: m.type, plugin, samples: [] };
    this.#families.set(full, family);
    // Rendered by prom-client like its own metrics (the same shape); for OpenMetrics it renames a counter
    // family in place (without _total), which `family.name` follows.
    this.#registry.registerMetric({
      get name() {
        return family.name;
      },
      set name(renamed: string) {
        family.name = renamed;
      },
      help: family.help,
      type: family.type,
      aggregator: 'sum',
      get: () =>
        Promise.resolve({
          name: family.name,
          help: family.help,
          type: family.type,
          aggregator: 'sum',
          values: family.samples,
        }),
    } as unknown as Metric);
    return family;
  }

  #refuse(plugin: string, name: string, why: string): undefined {
    const key = `${plugin}\u0000${name}`;
    if (!this.#said.has(key)) {
      this.#said.add(key);
      this.#logger.warn({ plugin, metric: name }, `plugin ${plugin}: metric '${name}' left out of /metrics: ${why}`);
    }
    return undefined;
  }
}
