"""Phones as IMUs over the local network: phyphox (remote access, HTTP polling), SensorServer
(WebSocket) and Sensor Logger (HTTP Push to a listener in the studio).

URIs: ``phyphox://PHONE:8080``, ``sensorserver://PHONE:8080``, ``sensorlogger://0.0.0.0:8000``.
Connection steps and QR codes for each app: :mod:`studio.devices.phone.guide`.
"""
