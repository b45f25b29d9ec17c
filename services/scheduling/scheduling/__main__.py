from service_kit.runtime import run

from scheduling.app import create_app
from scheduling.settings import Settings

settings = Settings()
run(lambda: create_app(settings), settings)
