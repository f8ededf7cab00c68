// A WebSocket stand-in for transport tests: the test decides when a socket opens, what the server sends and
// when the connection drops.
//
//   const sockets = new FakeSockets();
//   const transport = new WebSocketTransport({ origin: "http://app.test", WebSocketImpl: sockets.Impl });
//   sockets.last.open(); sockets.last.callIds();   // -> the ids of the CALLs the transport wrote

export class FakeSockets {
  constructor() {
    this.all = [];
    const registry = this;
    this.Impl = class FakeWebSocket {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.sent = [];
        this.closedWith = null;
        registry.all.push(this);
      }

      send(data) {
        if (this.readyState !== 1) throw new Error("send on a socket that is not open");
        this.sent.push(data);
      }

      close(code = 1005, reason = "") {
        this.drop(code, reason);
      }

      /** The server accepted the connection. */
      open() {
        this.readyState = 1;
        this.onopen && this.onopen({});
      }

      /** The connection ended (or never came up): fires onclose once. */
      drop(code = 1006, reason = "") {
        if (this.readyState === 3) return;
        this.readyState = 3;
        this.closedWith = code;
        this.onclose && this.onclose({ code, reason });
      }

      /** A frame from the server: a string is a text frame, bytes a binary frame. */
      receive(data) {
        this.onmessage && this.onmessage({ data: data instanceof Uint8Array ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data });
      }

      /** The text frames sent so far, parsed. */
      sentJson() {
        return this.sent.filter((d) => typeof d === "string").map((d) => JSON.parse(d));
      }

      /** The ids of the CALL messages sent so far (the SESSION message that opens a connection is not one). */
      callIds() {
        return this.sentJson().filter((m) => m.type === "CALL").map((m) => m.id);
      }
    };
  }

  get last() {
    return this.all[this.all.length - 1];
  }

  get count() {
    return this.all.length;
  }
}

/** The JSON text of a CALL the tests send through the transport. */
export function callText(id, command = "echo", args = []) {
  return JSON.stringify({ type: "CALL", id, command, args, kwargs: {}, objects: [] });
}
