from deploy.receiver import Received, Receiver

__all__ = ["Received", "Receiver"]
