# Developer shortcuts. `pip install rust-just` provides `just`; every recipe is a plain command too.
set dotenv-load := false

venv := ".venv/bin"

# Set up and start Verso with the demo business (same as the README's first command)
run:
    {{venv}}/verso quickstart

# Load (or refresh) the demo business
demo:
    {{venv}}/verso demo

# The whole suite on SQLite
test *args:
    {{venv}}/python -m pytest {{args}}

# The whole suite on the local PostgreSQL
test-pg *args:
    VERSO_TEST_POSTGRES=postgresql+asyncpg://postgres@127.0.0.1:5432/test {{venv}}/python -m pytest {{args}}

lint:
    {{venv}}/ruff check src tests bench migrations
    {{venv}}/ruff format --check src tests bench migrations

fmt:
    {{venv}}/ruff format src tests bench migrations
    {{venv}}/ruff check --fix src tests bench migrations

# Apply migrations
migrate:
    {{venv}}/verso database upgrade --no-prompt

# Generate a migration from the models: just makemigrations "add products"
makemigrations message:
    {{venv}}/verso database make-migrations -m "{{message}}" --no-prompt

# Benchmarks (start-up, memory, /health under load; sign-ins; the storefront on 10,000 products); needs wrk
bench:
    {{venv}}/python bench/run.py
    {{venv}}/python bench/login.py
    {{venv}}/python bench/shop.py
