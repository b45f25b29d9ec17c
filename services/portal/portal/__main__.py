from service_kit.runtime import run

from portal.app import create_app
from portal.settings import Settings

settings = Settings()
run(lambda: create_app(settings), settings)
