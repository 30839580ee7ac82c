// Medians with their spread, over the rounds of one measurement.
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function summary(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

// Reads a dotted path ("figures.latency_us.p99") out of an object.
export function pick(object, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), object);
}
