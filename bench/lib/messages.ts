/** The message every scenario sends: 1 KiB of JSON, persistent, `application/json`. */
export const BODY_BYTES = 1024;
export const CONTENT_TYPE = 'application/json';

/** A 1 KiB JSON body, different per message (`t`: a send time for the latency scenario), so decoding does the same work for every subject. */
export function jsonBody(id: number, t = 0): Buffer {
  const head = `{"id":${id},"t":${t},"pad":"`;
  const tail = '"}';
  return Buffer.from(head + 'a'.repeat(Math.max(0, BODY_BYTES - head.length - tail.length)) + tail, 'utf8');
}

/** What a handler sees once its library decoded the body. */
export interface Payload {
  id: number;
  t: number;
  pad: string;
}
