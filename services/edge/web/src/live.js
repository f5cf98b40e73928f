// Live mode: the webcam's frames go to GET /live as JPEG; the skeleton, the
// running count and form cues come back as they happen.

/** Frames per second sent: what the server analyses comfortably on 2 cores. */
export const LIVE_FPS = 15;
/** Long side of the frames sent, in px (a phone preview's size). */
export const LIVE_LONG_SIDE = 640;
/** Rep exercises the live counter offers (catalog ids). */
export const LIVE_ACTIVITIES = ['squat', 'bodyweight_squat', 'push_up', 'sit_up', 'lunge', 'chin_up', 'jumping_jacks'];

/** COCO-17 limbs (keypoint index pairs) drawn over the preview. */
const LIMBS = [
  [5, 7], [7, 9], [6, 8], [8, 10], [5, 6], [5, 11], [6, 12], [11, 12],
  [11, 13], [13, 15], [12, 14], [14, 16], [0, 5], [0, 6],
];
/** BlazePose-33 limbs, the same body plus hands and feet. */
const LIMBS_33 = [
  [11, 13], [13, 15], [12, 14], [14, 16], [11, 12], [11, 23], [12, 24], [23, 24],
  [23, 25], [25, 27], [24, 26], [26, 28], [27, 29], [29, 31], [28, 30], [30, 32],
  [15, 19], [16, 20],
];
const MIN_SCORE = 0.3;

/** The binary message of one frame: 8-byte little-endian capture ms, then the JPEG. */
export function frameMessage(timestampMs, jpeg) {
  const bytes = new Uint8Array(8 + jpeg.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(Math.max(0, Math.round(timestampMs))), true);
  bytes.set(new Uint8Array(jpeg), 8);
  return bytes;
}

/** The WebSocket URL of a live set from the page's origin. */
export function liveUrl(origin, activity, token, record = false) {
  const url = new URL('/live', origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('activity', activity);
  url.searchParams.set('token', token);
  if (record) url.searchParams.set('record', 'true');
  return url.toString();
}

/** Draws the persons of a `pose` event over `canvas` (sized like the preview). */
export function drawPose(canvas, pose) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.lineWidth = Math.max(2, canvas.width / 200);
  for (const person of pose.persons || []) {
    const points = person.keypoints || [];
    const limbs = points.length >= 33 ? LIMBS_33 : LIMBS;
    const at = (i) => points[i] && points[i][2] >= MIN_SCORE ? [points[i][0] * canvas.width, points[i][1] * canvas.height] : null;
    ctx.strokeStyle = '#22c55e';
    for (const [a, b] of limbs) {
      const p = at(a);
      const q = at(b);
      if (!p || !q) continue;
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      ctx.lineTo(q[0], q[1]);
      ctx.stroke();
    }
    ctx.fillStyle = '#f97316';
    for (let i = 0; i < points.length; i += 1) {
      const p = at(i);
      if (p) ctx.fillRect(p[0] - 3, p[1] - 3, 6, 6);
    }
  }
}

/**
 * One live set: camera -> socket -> callbacks. `api` issues the token;
 * `on` = {pose, rep, cue, status, summary, error, closed}.
 */
export class LiveSet {
  constructor(api, video, on) {
    this.api = api;
    this.video = video;
    this.on = on;
    this.socket = null;
    this.stream = null;
    this.timer = null;
    this.canvas = document.createElement('canvas');
    this.busy = false;
  }

  /** Opens the camera and the set; `record` keeps the frames as the stored video. */
  async start(activity, record = false) {
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 360 }, facingMode: 'user' },
      audio: false,
    });
    this.video.srcObject = this.stream;
    await this.video.play();
    const { token } = await this.api.request('POST', '/live/token');
    const socket = new WebSocket(liveUrl(window.location.origin, activity, token, record));
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.on[message.type]?.(message);
    });
    socket.addEventListener('close', () => {
      this.stopCamera();
      this.on.closed?.();
    });
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve, { once: true });
      socket.addEventListener('error', () => reject(new Error('the live connection failed')), { once: true });
    });
    this.timer = setInterval(() => this.sendFrame(), 1000 / LIVE_FPS);
  }

  /** Sends the current preview picture, unless the previous one is still encoding. */
  async sendFrame() {
    const video = this.video;
    if (this.busy || !this.socket || this.socket.readyState !== WebSocket.OPEN || !video.videoWidth) return;
    // Latest-wins on our side too: never let frames pile up in the socket's buffer.
    if (this.socket.bufferedAmount > 256 * 1024) return;
    this.busy = true;
    try {
      const scale = Math.min(1, LIVE_LONG_SIDE / Math.max(video.videoWidth, video.videoHeight));
      this.canvas.width = Math.round(video.videoWidth * scale);
      this.canvas.height = Math.round(video.videoHeight * scale);
      this.canvas.getContext('2d').drawImage(video, 0, 0, this.canvas.width, this.canvas.height);
      const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, 'image/jpeg', 0.8));
      if (blob && this.socket?.readyState === WebSocket.OPEN) {
        this.socket.send(frameMessage(Date.now(), await blob.arrayBuffer()));
      }
    } finally {
      this.busy = false;
    }
  }

  /** Ends the set: the server answers with the summary, then closes. */
  finish() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'end' }));
  }

  stopCamera() {
    clearInterval(this.timer);
    this.timer = null;
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
  }
}
