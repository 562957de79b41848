/* Host test: encodes a fixed set of cases with unimotion_frame.h and prints them as JSON.
 * tests/test_firmware_encoder.py compiles this with gcc, compares the output with
 * firmware_bridges/test_vectors.json and decodes every frame with the studio's Python decoder. */
#include <stdio.h>
#include <string.h>

#include "../UniMotionFrame/src/unimotion_frame.h"

static uint32_t rng_state = 12345u;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

static void print_frame(const uint8_t *buf, size_t n)
{
    size_t i;
    printf("\"hex\": \"");
    for (i = 0; i < n; i++)
        printf("%02x", buf[i]);
    printf("\"}");
}

static void imu6_case(int first, uint16_t seq, uint32_t t_us, uint8_t acc, uint16_t gyro, uint16_t period,
                      int16_t samples[][6], uint8_t n)
{
    uint8_t buf[UM_MAX_FRAME];
    size_t len = um_encode_imu6(buf, seq, t_us, acc, gyro, period, (const int16_t(*)[6])samples, n);
    uint8_t i, k;
    printf("%s\n  {\"type\": 1, \"seq\": %u, \"t_us\": %lu, \"acc_range_g\": %u, \"gyro_range_dps\": %u, "
           "\"period_us\": %u, \"samples\": [", first ? "" : ",", seq, (unsigned long)t_us, acc, gyro, period);
    for (i = 0; i < n; i++) {
        printf("%s[", i ? ", " : "");
        for (k = 0; k < 6; k++)
            printf("%s%d", k ? ", " : "", samples[i][k]);
        printf("]");
    }
    printf("], ");
    print_frame(buf, len);
}

static void acc3_case(uint16_t seq, uint32_t t_us, uint8_t acc, uint16_t period, int16_t samples[][3], uint8_t n)
{
    uint8_t buf[UM_MAX_FRAME];
    size_t len = um_encode_acc3(buf, seq, t_us, acc, period, (const int16_t(*)[3])samples, n);
    uint8_t i, k;
    printf(",\n  {\"type\": 2, \"seq\": %u, \"t_us\": %lu, \"acc_range_g\": %u, \"period_us\": %u, \"samples\": [",
           seq, (unsigned long)t_us, acc, period);
    for (i = 0; i < n; i++) {
        printf("%s[", i ? ", " : "");
        for (k = 0; k < 3; k++)
            printf("%s%d", k ? ", " : "", samples[i][k]);
        printf("]");
    }
    printf("], ");
    print_frame(buf, len);
}

int main(void)
{
    int16_t six[UM_IMU6_MAX_SAMPLES][6];
    int16_t three[UM_ACC3_MAX_SAMPLES][3];
    uint8_t crc_check[] = "123456789";
    int c, i, k;

    printf("{\"crc_123456789\": %u, \"vectors\": [", um_crc16(crc_check, 9, 0xFFFFu));
    memset(six, 0, sizeof six);
    six[0][0] = 4096; six[0][2] = -4096; six[0][3] = 32767; six[0][5] = -32768;
    imu6_case(1, 0, 0, 8, 2000, 10000, six, 1);
    imu6_case(0, 65535, 4294967295u, 16, 250, 1000, six, 2);           /* counters about to wrap */
    for (c = 0; c < 6; c++) {                                           /* pseudo-random cases */
        uint8_t n = (uint8_t)(1 + rng() % UM_IMU6_MAX_SAMPLES);
        for (i = 0; i < n; i++)
            for (k = 0; k < 6; k++)
                six[i][k] = (int16_t)(rng() & 0xFFFFu);
        imu6_case(0, (uint16_t)rng(), rng(), (uint8_t)(2u << (rng() % 4)), (uint16_t)(250u << (rng() % 4)),
                  (uint16_t)(1000u + rng() % 20000u), six, n);
    }
    for (i = 0; i < (int)UM_IMU6_MAX_SAMPLES; i++)                         /* a full frame */
        for (k = 0; k < 6; k++)
            six[i][k] = (int16_t)(i * 1000 - k * 3000);
    imu6_case(0, 42, 123456789u, 4, 500, 5000, six, UM_IMU6_MAX_SAMPLES);
    for (i = 0; i < (int)UM_ACC3_MAX_SAMPLES; i++)
        for (k = 0; k < 3; k++)
            three[i][k] = (int16_t)((rng() & 0xFFFFu));
    acc3_case(7, 1000, 2, 20000, three, 1);
    acc3_case(65000, 99999, 8, 640, three, UM_ACC3_MAX_SAMPLES);
    printf("\n]}\n");
    return 0;
}
