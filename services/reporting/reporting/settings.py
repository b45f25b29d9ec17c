from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8004
