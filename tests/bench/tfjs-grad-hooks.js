// Module hook for tests/bench/jobs.js: tfjs-core's node bundle leaves out
// the gradients (the @tensorflow/tfjs package adds them by importing
// tfjs-core/dist/register_all_gradients, written for bundlers, with
// extensionless imports).  This adds the ".js" Node needs to those imports,
// so that the bench can register the gradients as @tensorflow/tfjs does;
// they land in tfjs's global registry, which the node bundle reads.
export async function resolve(specifier, context, next) {
  const inDist = context.parentURL?.includes('/@tensorflow/tfjs-core/dist/');
  if (inDist && specifier.startsWith('.') && !specifier.endsWith('.js')) {
    try {
      return await next(`${specifier}.js`, context);
    } catch {
      return next(`${specifier}/index.js`, context);
    }
  }
  return next(specifier, context);
}
