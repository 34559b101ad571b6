/**
 * The scanner's modules, loaded when a command runs rather than when the CLI starts: `portwarden
 * --help`, `db status` or `serve` need none of the analyzers, image sources or renderers, which are
 * most of the CLI's start-up time (each module goes through tsx's loader).
 */
export async function loadScanner() {
  const [pipeline, matcher, seen, post, report] = await Promise.all([
    import('../scan/pipeline.ts'),
    import('../matcher/index.ts'),
    import('../vulndb/seen-ecosystems.ts'),
    import('../scan/postprocess.ts'),
    import('../report/index.ts'),
  ]);
  return {
    scanTarget: pipeline.scanTarget,
    inventoryTarget: pipeline.inventoryTarget,
    openIndex: pipeline.openIndex,
    explainMatch: matcher.explainMatch,
    seenEcosystemsPath: seen.seenEcosystemsPath,
    postProcess: post.postProcess,
    renderReport: report.renderReport,
  };
}
