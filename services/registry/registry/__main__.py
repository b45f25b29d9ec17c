from service_kit.runtime import run

from registry.app import create_app
from registry.settings import Settings

settings = Settings()
run(lambda: create_app(settings), settings)
