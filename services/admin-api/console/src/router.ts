import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/keys/key_…`), so the server serves one page and a reload keeps the place. */
export function useRoute(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
}

export const go = (path: string) => {
  location.hash = path;
};
