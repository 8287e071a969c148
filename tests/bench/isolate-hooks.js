// Module hooks for the benchmark (registered by ours.js): a module imported
// from a URL that carries ?contender=ID gets the same query, and so does
// everything it imports in turn.  Each contender then runs its own copy of
// the library's whole module graph, as an app that loads one build would.
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const id = context.parentURL?.startsWith('file:') ? new URL(context.parentURL).searchParams.get('contender') : null;
  if (id && resolved.url.startsWith('file:') && !resolved.url.includes('?')) {
    return { ...resolved, url: `${resolved.url}?contender=${encodeURIComponent(id)}` };
  }
  return resolved;
}
