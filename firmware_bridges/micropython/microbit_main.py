# BBC micro:bit (MicroPython) -> UniMotion ACC3 frames over USB serial at 115200 baud.
# The micro:bit has no gyroscope: the studio shows acceleration only and says so.
# Copy unimotion_frame.py and this file (as main.py) to the board; see ../README.md.
from microbit import accelerometer, display, running_time, sleep, uart

import unimotion_frame as um

PERIOD_MS = 20          # 50 Hz
PER_FRAME = 5
RANGE_G = 2             # the accelerometer's default full scale

uart.init(baudrate=115200)  # takes the USB serial from the REPL (reset the board to get the REPL back)
display.show("U")
seq = 0
while True:
    start = running_time()
    batch = []
    for _ in range(PER_FRAME):
        x, y, z = accelerometer.get_values()  # milli-g
        batch.append((um.to_raw(x / 1000, RANGE_G), um.to_raw(y / 1000, RANGE_G), um.to_raw(z / 1000, RANGE_G)))
        sleep(PERIOD_MS)
    uart.write(um.acc3(seq, start * 1000, batch, RANGE_G, PERIOD_MS * 1000))
    seq += PER_FRAME
