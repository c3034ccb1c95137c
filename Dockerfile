# CPU image of Iqtibas: installs exactly as the README does, materialises the embedding model
# at build time (the image then needs no network), and runs as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    IQTIBAS_DATA_DIR=/data/index \
    IQTIBAS_MODEL_CACHE_DIR=/opt/iqtibas/models \
    IQTIBAS_HOST=0.0.0.0 \
    IQTIBAS_PORT=8000

RUN useradd --create-home --uid 10001 iqtibas \
    && mkdir -p /app /data /opt/iqtibas/models \
    && chown iqtibas:iqtibas /data /opt/iqtibas/models
WORKDIR /app

COPY pyproject.toml README.md ./
COPY index ./index
COPY service ./service
COPY eval ./eval
COPY seeds ./seeds
RUN pip install torch==2.13.0 && pip install -e .

USER iqtibas
RUN iqtibas prepare-model
VOLUME ["/data"]
EXPOSE 8000
# the first start builds the index from seeds/ into the volume, then serves
CMD ["iqtibas", "serve"]
