/* sync - write every dirty block of this OS instance's buffer cache to the disk. */
#include <unistd.h>

int main(void)
{
    sync();
    return 0;
}
