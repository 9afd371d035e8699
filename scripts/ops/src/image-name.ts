/** No registry host and a hyphen (Docker Hub names have none): a local name nothing can be pulled for. */
export const DEFAULT_PREFIX = 'posts-com';
export const DEFAULT_TAG = 'latest';

/** A service's image, as the manifests name it: `<prefix>/<service>:<tag>`. */
export function imageName(service: string, prefix = DEFAULT_PREFIX, tag = DEFAULT_TAG): string {
  return `${prefix.replace(/\/+$/, '')}/${service}:${tag}`;
}
