# One image for every role: web, worker, relay, migrate (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    PATH="/app/.venv/bin:$PATH"
WORKDIR /app

RUN pip install --no-cache-dir "uv==0.13.9" \
    && useradd --create-home --uid 10001 glanage \
    && python -m venv /app/.venv

# Dependencies first, pinned with hashes, so code changes rebuild fast.
COPY requirements.lock ./
RUN uv pip sync --python /app/.venv/bin/python requirements.lock

COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN uv pip install --python /app/.venv/bin/python --no-deps . \
    && pybabel compile -d shared/translations

USER glanage
EXPOSE 8000
ENTRYPOINT ["glanage"]
CMD ["web", "--host", "0.0.0.0", "--port", "8000"]
