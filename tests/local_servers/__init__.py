"""Tests of the throwaway servers under deploy/local, run for real."""
