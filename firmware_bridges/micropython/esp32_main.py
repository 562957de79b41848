# ESP32 + MPU-6050/6500 (MicroPython) -> UniMotion frames over USB serial and BLE Nordic UART.
# Wiring as for the Arduino sketch: SDA->GPIO21, SCL->GPIO22, AD0->GND. Copy unimotion_frame.py and
# this file (as main.py) to the board; see ../README.md.
import struct
import sys
import time

import bluetooth
from machine import I2C, Pin

import unimotion_frame as um

ADDR = 0x68
PERIOD_US = 10000   # 100 Hz (MicroPython keeps up comfortably)
PER_FRAME = 4
NUS = bluetooth.UUID("6E400001-B5A3-F393-E0A9-E50E24DCCA9E")
TX = (bluetooth.UUID("6E400003-B5A3-F393-E0A9-E50E24DCCA9E"), bluetooth.FLAG_NOTIFY)
RX = (bluetooth.UUID("6E400002-B5A3-F393-E0A9-E50E24DCCA9E"), bluetooth.FLAG_WRITE)
NAME = b"UniMotion-uPy"

i2c = I2C(0, scl=Pin(22), sda=Pin(21), freq=400000)
for reg, value in ((0x6B, 0x01), (0x1A, 0x03), (0x19, 0x09), (0x1B, 0x18), (0x1C, 0x10)):
    i2c.writeto_mem(ADDR, reg, bytes([value]))   # wake, DLPF, 100 Hz, +-2000 deg/s, +-8 g

ble = bluetooth.BLE()
ble.active(True)
((tx_handle, _rx_handle),) = ble.gatts_register_services(((NUS, (TX, RX)),))
connections = set()


def advertise():
    name = bytes([len(NAME) + 1, 0x09]) + NAME
    service = bytes([17, 0x07]) + bytes(NUS)  # MicroPython gives UUID bytes little-endian, as adverts want
    ble.gap_advertise(100000, adv_data=bytes([2, 0x01, 0x06]) + name, resp_data=service)


def on_event(event, data):
    if event == 1:      # central connected
        connections.add(data[0])
    elif event == 2:    # central disconnected: advertise again so the studio can reconnect
        connections.discard(data[0])
        advertise()


ble.irq(on_event)
advertise()
out = sys.stdout.buffer
seq = 0
next_us = time.ticks_us()
batch = []
while True:
    while time.ticks_diff(time.ticks_us(), next_us) < 0:
        pass
    next_us = time.ticks_add(next_us, PERIOD_US)
    raw = struct.unpack(">7h", i2c.readfrom_mem(ADDR, 0x3B, 14))
    batch.append(raw[0:3] + raw[4:7])   # skip the temperature in the middle
    if len(batch) < PER_FRAME:
        continue
    # sample time from the counter: ticks_us() wraps at 2**30 here, the protocol's clock at 2**32
    frame = um.imu6(seq, seq * PERIOD_US, batch, 8, 2000, PERIOD_US)
    out.write(frame)
    for conn in connections:
        for off in range(0, len(frame), 20):
            ble.gatts_notify(conn, tx_handle, frame[off:off + 20])
    seq += len(batch)
    batch = []
