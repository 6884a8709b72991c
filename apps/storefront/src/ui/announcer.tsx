import { useEffect } from 'preact/hooks';
import { createStore } from '../state/store.js';
import { useStore } from '../state/use-store.js';

interface Announcement {
  id: number;
  message: string;
}

const announcement = createStore<Announcement | undefined>(undefined);
let nextId = 0;

// Long enough to read; the message stays in the live region's history for screen readers anyway.
const VISIBLE_FOR_MS = 4_000;

/** Shows a short confirmation (e.g. "added to cart") and has screen readers read it. */
export function announce(message: string): void {
  nextId += 1;
  announcement.set({ id: nextId, message });
}

/** The area where announcements appear; one per page. */
export function Announcer() {
  const current = useStore(announcement);
  useEffect(() => {
    if (!current) return;
    const timer = setTimeout(() => {
      if (announcement.get()?.id === current.id) announcement.set(undefined);
    }, VISIBLE_FOR_MS);
    return () => clearTimeout(timer);
  }, [current]);
  return (
    <div class="announcer" role="status" aria-live="polite">
      {current && <p class="announcer__message">{current.message}</p>}
    </div>
  );
}
