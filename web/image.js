// Photos are resized in the browser before upload: village signal is poor and phone cameras make 4–12 MB
// pictures. The longest side is scaled down to `maxSide` and the picture re-encoded as JPEG.

/** The size to draw at: the longest side at most `maxSide`, aspect kept, never enlarged. */
export function fitWithin(width, height, maxSide) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Resize an image Blob/File. Returns {blob, width, height}. Uses createImageBitmap (which applies the
 * photo's EXIF orientation) and a canvas; JPEG at `quality`.
 */
export async function resizeImage(file, { maxSide = 1600, type = "image/jpeg", quality = 0.82 } = {}) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const { width, height } = fitWithin(bitmap.width, bitmap.height, maxSide);
  let blob;
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; // JPEG has no transparency: white, not black, behind a PNG's clear pixels
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0, width, height);
    blob = await canvas.convertToBlob({ type, quality });
  } else {
    const canvas = Object.assign(document.createElement("canvas"), { width, height });
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0, width, height);
    blob = await new Promise((resolve) => canvas.toBlob(resolve, type, quality));
  }
  bitmap.close?.();
  return { blob, width, height };
}

/** A Blob as a data: URL (for a JSON field that carries an image as base64). */
export function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}
