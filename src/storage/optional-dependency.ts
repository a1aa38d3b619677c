/**
 * Loading a package that only some users need (an optional peer dependency) on first use, so that
 * `import 'ams-otel'` does not pay for it and a user who never needs it need not install it.
 */

/** The error a missing optional package turns into: it says what needs it and how to install it. */
export class MissingDependencyError extends Error {
  constructor(
    readonly packageName: string,
    neededBy: string,
    options?: ErrorOptions,
  ) {
    super(`ams-otel: ${neededBy} needs the package ${packageName}, which is not installed; install it with: npm install ${packageName}`, options);
    this.name = 'MissingDependencyError';
  }
}

function isModuleNotFound(err: unknown, packageName: string): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && (e.message ?? '').includes(packageName);
}

/**
 * A cached loader for `packageName`: the first call imports it, later calls share that import. A
 * failed import is not cached (installing the package fixes the next call without a restart), and
 * "not installed" becomes a MissingDependencyError naming `neededBy` and the install command.
 * `load` is the `() => import('<name>')` call, written out at the call site so bundlers and type
 * checking see the specifier.
 */
export function optionalDependency<T>(packageName: string, neededBy: string, load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw isModuleNotFound(err, packageName) ? new MissingDependencyError(packageName, neededBy, { cause: err }) : err;
    }));
}
