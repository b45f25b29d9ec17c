from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "notifications"
    http_port: int = 8003
