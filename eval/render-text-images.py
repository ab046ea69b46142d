"""Renders texts as PNG screenshots for eval/images.ts: one image per line of the input JSONL
({"id", "text"}), wrapped to the image's width, in one of three faces and three sizes chosen by
the id (so every run draws the same images). Needs Pillow (eval/images.ts makes the venv)."""
import json
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FACES = [
    '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
]
SIZES = [16, 20, 24]
WIDTH = 1000
MARGIN = 16
MAX_LINES = 120


def font(index: int) -> ImageFont.FreeTypeFont:
    face = FACES[index % len(FACES)]
    size = SIZES[(index // len(FACES)) % len(SIZES)]
    if Path(face).exists():
        return ImageFont.truetype(face, size)
    return ImageFont.load_default(size)


def wrap(text: str, face: ImageFont.FreeTypeFont) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or ['']:
        line = ''
        for word in paragraph.split(' '):
            candidate = f'{line} {word}' if line else word
            if face.getlength(candidate) <= WIDTH - 2 * MARGIN or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines[:MAX_LINES]


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    target.mkdir(parents=True, exist_ok=True)
    for raw in source.read_text(encoding='utf-8').splitlines():
        row = json.loads(raw)
        face = font(int(row['id']))
        lines = wrap(row['text'], face)
        step = int(face.size * 1.45)
        image = Image.new('L', (WIDTH, 2 * MARGIN + step * max(1, len(lines))), 255)
        draw = ImageDraw.Draw(image)
        for index, line in enumerate(lines):
            draw.text((MARGIN, MARGIN + index * step), line, font=face, fill=0)
        image.save(target / f"{row['id']}.png", optimize=True)


main()
