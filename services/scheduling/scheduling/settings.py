from service_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "scheduling"
    http_port: int = 8002
