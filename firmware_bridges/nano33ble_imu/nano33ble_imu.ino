// Arduino Nano 33 BLE / Nano 33 BLE Sense -> UniMotion frames over USB serial and BLE Nordic UART.
//
// Rev1 boards carry an LSM9DS1 (library Arduino_LSM9DS1, ~119 Hz); Rev2 boards a BMI270 + BMM150
// (library Arduino_BMI270_BMM150, ~100 Hz): define IMU_REV2 below for those. Both libraries report
// acceleration in g and angular rate in deg/s, which we send as int16 fractions of the full scale.
// Needs ArduinoBLE and the UniMotionFrame library from this folder (see ../README.md).

// #define IMU_REV2
#ifdef IMU_REV2
#include <Arduino_BMI270_BMM150.h>
#else
#include <Arduino_LSM9DS1.h>
#endif
#include <ArduinoBLE.h>
#include <unimotion_frame.h>

static const uint8_t ACC_RANGE_G = 4;        // library default full scale
static const uint16_t GYRO_RANGE_DPS = 2000;
static const uint8_t SAMPLES_PER_FRAME = 4;  // ~30 frames/s: fewer BLE notifications
static const size_t BLE_CHUNK = 20;          // payload of one notification at the default MTU

BLEService nus("6E400001-B5A3-F393-E0A9-E50E24DCCA9E");
BLECharacteristic txChar("6E400003-B5A3-F393-E0A9-E50E24DCCA9E", BLENotify, BLE_CHUNK);
BLECharacteristic rxChar("6E400002-B5A3-F393-E0A9-E50E24DCCA9E", BLEWrite | BLEWriteWithoutResponse, BLE_CHUNK);

static int16_t batch[SAMPLES_PER_FRAME][6];
static uint8_t filled = 0;
static uint16_t seq = 0;          // sample counter (first sample of the next frame)
static uint32_t batchStartUs = 0;
static uint32_t lastUs = 0;
static uint16_t periodUs = 8403;  // refined from the measured sample spacing
static uint8_t frame[UM_MAX_FRAME];

void setup() {
  Serial.begin(115200);  // USB CDC: the baud rate is ignored
  pinMode(LED_BUILTIN, OUTPUT);
  if (!IMU.begin()) {
    while (true) {  // no IMU: blink fast forever
      digitalWrite(LED_BUILTIN, !digitalRead(LED_BUILTIN));
      delay(100);
    }
  }
  if (BLE.begin()) {
    BLE.setLocalName("UniMotion-Nano33");
    BLE.setAdvertisedService(nus);
    nus.addCharacteristic(txChar);
    nus.addCharacteristic(rxChar);
    BLE.addService(nus);
    BLE.advertise();
  }
}

static void sendFrame() {
  size_t len = um_encode_imu6(frame, seq, batchStartUs, ACC_RANGE_G, GYRO_RANGE_DPS, periodUs,
                              (const int16_t(*)[6])batch, filled);
  if (Serial) {
    Serial.write(frame, len);
  }
  if (BLE.connected() && txChar.subscribed()) {
    for (size_t off = 0; off < len; off += BLE_CHUNK) {  // the studio parses a byte stream: split freely
      size_t n = len - off < BLE_CHUNK ? len - off : BLE_CHUNK;
      txChar.writeValue(frame + off, n);
    }
  }
  seq += filled;
  filled = 0;
}

void loop() {
  BLE.poll();
  if (!(IMU.accelerationAvailable() && IMU.gyroscopeAvailable())) {
    return;
  }
  float ax, ay, az, gx, gy, gz;
  IMU.readAcceleration(ax, ay, az);
  IMU.readGyroscope(gx, gy, gz);
  uint32_t now = micros();
  if (filled == 0) {
    batchStartUs = now;
  } else {
    // running estimate of the sample period, sent in the frame header
    periodUs = (uint16_t)((periodUs * 7u + (uint16_t)(now - lastUs)) / 8u);
  }
  lastUs = now;
  int16_t *s = batch[filled++];
  s[0] = um_to_raw(ax, ACC_RANGE_G);
  s[1] = um_to_raw(ay, ACC_RANGE_G);
  s[2] = um_to_raw(az, ACC_RANGE_G);
  s[3] = um_to_raw(gx, GYRO_RANGE_DPS);
  s[4] = um_to_raw(gy, GYRO_RANGE_DPS);
  s[5] = um_to_raw(gz, GYRO_RANGE_DPS);
  if (filled == SAMPLES_PER_FRAME) {
    sendFrame();
    digitalWrite(LED_BUILTIN, (seq / 64) & 1);  // slow blink = streaming
  }
}
