import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { sseEvents, sseFrame, sseStreams, type SseReader } from '../src/sse';

/** A response that records what it is sent, and whose socket is full while `full` is set. */
function fakeResponse(method = 'GET') {
  const res = Object.assign(new EventEmitter(), {
    req: { method },
    headers: {} as Record<string, string>,
    written: [] as string[],
    full: false,
    ended: false,
    destroyed: false,
    writeHead: (_status: number, headers: Record<string, string>) => Object.assign(res.headers, headers) && res,
    write: (text: string) => res.written.push(text) > 0 && !res.full,
    end: () => void (res.ended = true),
    destroy: () => void (res.destroyed = true),
  });
  return res;
}
const asResponse = (res: ReturnType<typeof fakeResponse>) => res as unknown as ServerResponse;

/** Streams that send each reader the numbers it has not had, up to `last.n`. */
function counting(heartbeatMs = 1000) {
  const last = { n: 0 };
  const pump = ({ state, write }: SseReader<{ sent: number }>) => {
    while (state.sent < last.n) if (!write(sseFrame('n', ++state.sent, state.sent))) return;
  };
  return { last, streams: sseStreams({ pump, heartbeatMs }) };
}

afterEach(() => jest.useRealTimers());

describe('sseFrame', () => {
  it('writes an event with its id, and without one', () => {
    expect(sseFrame('post', { id: 'p1', title: 'a\nb' }, 7)).toBe('id: 7\nevent: post\ndata: {"id":"p1","title":"a\\nb"}\n\n');
    expect(sseFrame('subscribers', null)).toBe('event: subscribers\ndata: null\n\n');
  });
});

describe('sseStreams', () => {
  it('answers with an event stream, writes the first frame, then pumps at open and at pumpAll', () => {
    const { last, streams } = counting();
    last.n = 1;
    const res = fakeResponse();
    streams.open(asResponse(res), { sent: 0 }, sseFrame('start', { seq: 0 }, 0));
    expect(res.headers).toEqual({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
    last.n = 2;
    streams.pumpAll();
    expect(res.written.join('')).toBe('id: 0\nevent: start\ndata: {"seq":0}\n\nid: 1\nevent: n\ndata: 1\n\nid: 2\nevent: n\ndata: 2\n\n');
    expect(streams.size).toBe(1);
    res.emit('close');
    expect(streams.size).toBe(0);
  });

  it('answers a HEAD with the headers alone', () => {
    const { last, streams } = counting();
    last.n = 3;
    const res = fakeResponse('HEAD');
    expect(streams.open(asResponse(res), { sent: 0 })).toBeUndefined();
    expect([res.headers['content-type'], res.written, res.ended, streams.size]).toEqual(['text/event-stream; charset=utf-8', [], true, 0]);
  });

  it('writes nothing more to a full socket until it drains, then goes on where it stopped', () => {
    const { last, streams } = counting();
    const res = fakeResponse();
    streams.open(asResponse(res), { sent: 0 });
    res.full = true;
    last.n = 3;
    streams.pumpAll();
    streams.pumpAll();
    expect(res.written).toEqual([sseFrame('n', 1, 1)]);
    res.full = false;
    res.emit('drain');
    expect(res.written).toEqual([1, 2, 3].map((n) => sseFrame('n', n, n)));
  });

  it('pings every heartbeat; a socket still full a whole heartbeat later is closed, one that drained in time is not', () => {
    jest.useFakeTimers();
    const { streams } = counting(1000);
    const [quiet, slow, late] = [fakeResponse(), fakeResponse(), fakeResponse()];
    for (const res of [quiet, slow, late]) streams.open(asResponse(res), { sent: 0 });
    jest.advanceTimersByTime(1000);
    expect(quiet.written).toEqual([': ping\n\n']);
    slow.full = late.full = true;
    jest.advanceTimersByTime(1000); // both blocked by their ping
    jest.advanceTimersByTime(1000); // still blocked: stalled
    late.full = false;
    late.emit('drain');
    jest.advanceTimersByTime(1000);
    expect([slow.destroyed, late.destroyed, quiet.destroyed, streams.size]).toEqual([true, false, false, 2]);
    expect(late.written).toEqual([': ping\n\n', ': ping\n\n', ': ping\n\n']);
    expect(quiet.written).toHaveLength(4);
  });

  it('ends every stream on close (destroys a full one, which could not end), and any opened after it at once', () => {
    const { streams } = counting();
    const [open, full] = [fakeResponse(), fakeResponse()];
    for (const res of [open, full]) streams.open(asResponse(res), { sent: 0 });
    full.full = true;
    for (const reader of streams.readers) reader.write(': a hint\n\n'); // fills the full one
    streams.close();
    expect([open.ended, open.destroyed, full.ended, full.destroyed, streams.size]).toEqual([true, false, false, true, 0]);
    const late = fakeResponse();
    expect(streams.open(asResponse(late), { sent: 0 })).toBeUndefined();
    expect([late.headers['content-type'], late.ended]).toEqual(['text/event-stream; charset=utf-8', true]);
  });
});

describe('sseEvents', () => {
  it('reads the events however the bytes are split, skipping comments', async () => {
    const text = ': ping\n\n' + sseFrame('start', { seq: 0 }, 0) + 'event: note\ndata: one\ndata: two\n\n' + sseFrame('post', { title: 'é' }, 1);
    const bytes = new TextEncoder().encode(text);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    }
    const events = [];
    for await (const event of sseEvents(chunks())) events.push(event);
    expect(events).toEqual([
      { id: '0', event: 'start', data: '{"seq":0}' },
      { id: undefined, event: 'note', data: 'one\ntwo' },
      { id: '1', event: 'post', data: '{"title":"é"}' },
    ]);
  });
});
