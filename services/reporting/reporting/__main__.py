from service_kit.runtime import run

from reporting.app import create_app
from reporting.settings import Settings

settings = Settings()
run(lambda: create_app(settings), settings)
