from service_kit.runtime import run

from notifications.app import create_app
from notifications.settings import Settings

settings = Settings()
run(lambda: create_app(settings), settings)
