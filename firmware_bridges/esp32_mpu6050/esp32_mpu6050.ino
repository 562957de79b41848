// ESP32 + MPU-6050 / MPU-6500 (I2C) -> UniMotion frames over USB serial (921600 baud) and BLE Nordic UART.
//
// Wiring (see ../README.md): VCC->3V3, GND->GND, SDA->GPIO21, SCL->GPIO22, AD0->GND (address 0x68).
// Samples at 200 Hz (1 kHz internal rate / (1 + SMPLRT_DIV 4)), +-8 g and +-2000 deg/s; the raw
// int16 register values are already full-scale fractions, so they go into the frame unchanged.
// Needs the ESP32 Arduino core (BLE library included) and UniMotionFrame from this folder.

#include <BLE2902.h>
#include <BLEDevice.h>
#include <BLEServer.h>
#include <Wire.h>
#include <unimotion_frame.h>

#define NUS_SERVICE "6E400001-B5A3-F393-E0A9-E50E24DCCA9E"
#define NUS_TX "6E400003-B5A3-F393-E0A9-E50E24DCCA9E"

static const int SDA_PIN = 21, SCL_PIN = 22;
static const uint8_t MPU_ADDR = 0x68;
static const uint32_t PERIOD_US = 5000;  // 200 Hz
static const uint8_t ACC_RANGE_G = 8;
static const uint16_t GYRO_RANGE_DPS = 2000;
static const uint8_t SAMPLES_PER_FRAME = 4;
static const size_t BLE_CHUNK = 20;

static BLECharacteristic *tx = nullptr;
static volatile bool connected = false;
static int16_t batch[SAMPLES_PER_FRAME][6];
static uint8_t filled = 0;
static uint16_t seq = 0;
static uint32_t batchStartUs = 0, nextUs = 0;
static uint8_t frame[UM_MAX_FRAME];

class Callbacks : public BLEServerCallbacks {
  void onConnect(BLEServer *) override { connected = true; }
  void onDisconnect(BLEServer *) override {
    connected = false;
    BLEDevice::startAdvertising();  // let the studio reconnect
  }
};

static void writeReg(uint8_t reg, uint8_t value) {
  Wire.beginTransmission(MPU_ADDR);
  Wire.write(reg);
  Wire.write(value);
  Wire.endTransmission();
}

static uint8_t readReg(uint8_t reg) {
  Wire.beginTransmission(MPU_ADDR);
  Wire.write(reg);
  Wire.endTransmission(false);
  Wire.requestFrom((int)MPU_ADDR, 1);
  return Wire.available() ? Wire.read() : 0xFF;
}

void setup() {
  Serial.begin(921600);
  Wire.begin(SDA_PIN, SCL_PIN, 400000);
  uint8_t who = readReg(0x75);  // 0x68 MPU-6050, 0x70 MPU-6500, 0x71 MPU-9250
  if (who != 0x68 && who != 0x70 && who != 0x71) {
    while (true) {
      Serial.printf("# no MPU-6050/6500 at 0x68 (WHO_AM_I=0x%02X): check the wiring\n", who);
      delay(2000);
    }
  }
  writeReg(0x6B, 0x01);  // wake up, clock from the gyro PLL
  writeReg(0x1A, 0x03);  // DLPF ~44 Hz, internal rate 1 kHz
  writeReg(0x19, 0x04);  // sample rate = 1 kHz / 5 = 200 Hz
  writeReg(0x1B, 0x18);  // gyro +-2000 deg/s
  writeReg(0x1C, 0x10);  // accel +-8 g

  BLEDevice::init("UniMotion-ESP32");
  BLEServer *server = BLEDevice::createServer();
  server->setCallbacks(new Callbacks());
  BLEService *service = server->createService(NUS_SERVICE);
  tx = service->createCharacteristic(NUS_TX, BLECharacteristic::PROPERTY_NOTIFY);
  tx->addDescriptor(new BLE2902());
  service->start();
  BLEDevice::getAdvertising()->addServiceUUID(NUS_SERVICE);
  BLEDevice::startAdvertising();
  nextUs = micros();
}

static void readSample(int16_t *s) {
  uint8_t raw[14];
  Wire.beginTransmission(MPU_ADDR);
  Wire.write(0x3B);  // ACCEL_XOUT_H .. GYRO_ZOUT_L, big-endian, temperature in the middle
  Wire.endTransmission(false);
  Wire.requestFrom((int)MPU_ADDR, 14);
  for (int i = 0; i < 14 && Wire.available(); i++) raw[i] = Wire.read();
  for (int k = 0; k < 3; k++) {
    s[k] = (int16_t)((raw[2 * k] << 8) | raw[2 * k + 1]);
    s[3 + k] = (int16_t)((raw[8 + 2 * k] << 8) | raw[9 + 2 * k]);
  }
}

void loop() {
  uint32_t now = micros();
  if ((int32_t)(now - nextUs) < 0) return;
  nextUs += PERIOD_US;
  if (filled == 0) batchStartUs = now;
  readSample(batch[filled++]);
  if (filled < SAMPLES_PER_FRAME) return;
  size_t len = um_encode_imu6(frame, seq, batchStartUs, ACC_RANGE_G, GYRO_RANGE_DPS, PERIOD_US,
                              (const int16_t(*)[6])batch, filled);
  Serial.write(frame, len);
  if (connected) {
    for (size_t off = 0; off < len; off += BLE_CHUNK) {
      size_t n = len - off < BLE_CHUNK ? len - off : BLE_CHUNK;
      tx->setValue(frame + off, n);
      tx->notify();
    }
  }
  seq += filled;
  filled = 0;
}
