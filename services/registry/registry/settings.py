from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "registry"
    http_port: int = 8001
