# CPU image of Iqtibas: installs as the README does (torch 2.13.0 CPU, then the project) into
# a virtual environment, materialises the embedding model at build time (the image then needs
# no network), and runs as a non-root user.
#
#   docker build -t iqtibas .                      # the image (stage "runtime")
#   docker build --target smoke .                  # also runs the smoke check while building
#   scripts/docker_smoke.sh                        # both with podman, on a Debian base it makes
#
# The base is an argument: any Debian-like image with python3 (3.11) and its venv module.
ARG BASE=python:3.11-slim

FROM ${BASE} AS runtime

# a virtual environment, not the system interpreter: Debian's python3 refuses pip installs
# into /usr (PEP 668), and the venv puts `iqtibas` on PATH for every base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
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
# Where pip finds torch 2.13.0 CPU is the builder's business: build secrets "pipconf" (a
# pip.conf) and "pipcert" (the CA bundle it names as /run/secrets/pipcert);
# scripts/docker_smoke.sh passes the building machine's pip configuration this way, so no
# index URL or local path is written into the repository or the image. Without the secrets
# pip uses its defaults. Editable, as in the README: settings find seeds/ next to the sources.
RUN --mount=type=secret,id=pipconf,target=/etc/pip.conf \
    --mount=type=secret,id=pipcert \
    python3 -m venv "$VIRTUAL_ENV" \
    && pip install torch==2.13.0 \
    && pip install -e . \
    && rm -rf /root/.cache

USER iqtibas
# the model and both OpenVINO forms in the image (fp16 weights, and int8, which auto picks on
# CPUs with VNNI but no AMX), so that the first start on any CPU builds nothing
RUN iqtibas prepare-model && IQTIBAS_EMBEDDING_BACKEND=openvino-int8 iqtibas prepare-model
VOLUME ["/data"]
EXPOSE 8000
# the first start builds the index from seeds/ into the volume, then serves
CMD ["iqtibas", "serve"]


# Built only on request (--target smoke): asks the seed question with the CLI, then starts the
# server, waits for /ready and asks over HTTP; the build fails if any answer is wrong.
FROM runtime AS smoke
COPY scripts/docker_smoke_check.py /tmp/docker_smoke_check.py
RUN python3 /tmp/docker_smoke_check.py /app/seeds


# the default target is the image itself, not the smoke stage
FROM runtime
