/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pstngw daemon entry point (placeholder until the skeleton lands). */
int main(void)
{
	return 0;
}
