# One image for every role: web, worker, relay, migrate (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    PATH="/app/.venv/bin:$PATH"
WORKDIR /app

RUN pip install --no-cache-dir "uv==0.13.9" \
    && useradd --create-home --uid 10001 glanage

# Dependencies first, from the lock file, so code changes rebuild fast.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY shared ./shared
COPY services ./services
RUN uv sync --frozen --no-dev \
    && pybabel compile -d shared/translations

USER glanage
EXPOSE 8000
ENTRYPOINT ["glanage"]
CMD ["web", "--host", "0.0.0.0", "--port", "8000"]
